-- Orders (one row per checkout), renamed and cast.
select
    cast(order_id as bigint) as order_id,
    cast(customer_id as bigint) as customer_id,
    cast(status as varchar) as order_status,
    cast(order_ts as timestamp) as order_ts,
    cast(total_amount as decimal(12, 2)) as total_amount,
    cast(currency as varchar) as currency_code,
    cast(shipping_country as varchar) as shipping_country_code,
    cast(updated_at as timestamp) as updated_at,
    cast(_commit_ts as timestamp) as _commit_ts,
    cast(_load_id as bigint) as _load_id,
    cast(_loaded_at as timestamp) as _loaded_at
from {{ source('curated', 'orders') }}
