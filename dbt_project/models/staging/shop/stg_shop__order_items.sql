-- Order lines, renamed and cast; a missing discount stays null here (no logic in staging).
select
    cast(order_item_id as bigint) as order_item_id,
    cast(order_id as bigint) as order_id,
    cast(product_id as bigint) as product_id,
    cast(quantity as integer) as quantity,
    cast(unit_price as decimal(12, 2)) as unit_price,
    cast(discount as decimal(12, 2)) as discount_amount,
    cast(_commit_ts as timestamp) as _commit_ts,
    cast(_load_id as bigint) as _load_id,
    cast(_loaded_at as timestamp) as _loaded_at
from {{ source('curated', 'order_items') }}
