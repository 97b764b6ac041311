-- Payment attempts, renamed and cast.
select
    cast(payment_id as bigint) as payment_id,
    cast(order_id as bigint) as order_id,
    cast(method as varchar) as payment_method,
    cast(amount as decimal(12, 2)) as amount,
    cast(status as varchar) as payment_status,
    cast(paid_at as timestamp) as paid_at,
    cast(_commit_ts as timestamp) as _commit_ts,
    cast(_load_id as bigint) as _load_id,
    cast(_loaded_at as timestamp) as _loaded_at
from {{ source('curated', 'payments') }}
