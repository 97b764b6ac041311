-- The product catalogue, renamed and cast.
select
    cast(product_id as bigint) as product_id,
    cast(sku as varchar) as sku,
    cast(name as varchar) as product_name,
    cast(category as varchar) as category,
    cast(price as decimal(12, 2)) as list_price,
    cast(active as boolean) as is_active,
    cast(created_at as timestamp) as created_at,
    cast(updated_at as timestamp) as updated_at,
    cast(_commit_ts as timestamp) as _commit_ts,
    cast(_load_id as bigint) as _load_id,
    cast(_loaded_at as timestamp) as _loaded_at
from {{ source('curated', 'products') }}
