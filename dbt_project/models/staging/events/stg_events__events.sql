-- Clickstream events (one row per event id, duplicates dropped in the lake), renamed and cast.
select
    cast(event_id as varchar) as event_id,
    cast(event_type as varchar) as event_type,
    cast(event_ts as timestamp) as event_ts,
    cast(ingestion_ts as timestamp) as ingestion_ts,
    cast(event_date as date) as event_date,
    cast(session_id as varchar) as session_id,
    cast(customer_id as bigint) as customer_id,
    cast(product_id as bigint) as product_id,
    cast(quantity as integer) as quantity,
    cast(price as decimal(12, 2)) as price,
    cast(order_id as bigint) as order_id,
    cast(page_url as varchar) as page_url,
    cast(referrer as varchar) as referrer,
    cast(coalesce(device, 'unknown') as varchar) as device,
    cast(is_late as boolean) as is_late
from {{ source('events', 'events') }}
