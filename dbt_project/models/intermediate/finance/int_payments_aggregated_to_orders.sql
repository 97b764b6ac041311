-- Payments rolled up to one row per order: what was captured, refunded, and when.
select
    order_id,
    count(*) as payments_count,
    cast(sum(case when payment_status = 'captured' then amount else 0 end)
        as decimal(18, 2)) as paid_amount,
    cast(sum(case when payment_status = 'refunded' then amount else 0 end)
        as decimal(18, 2)) as refunded_amount,
    max(paid_at) as last_paid_at,
    max(_load_id) as _load_id
from {{ ref('stg_shop__payments') }}
group by order_id
