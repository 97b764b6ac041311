-- Order lines with their product and line amounts: net = quantity * unit_price - discount,
-- the rule the shop's checkout applies to compute an order's total.
with lines as (
    select * from {{ ref('stg_shop__order_items') }}
),

products as (
    select * from {{ ref('stg_shop__products') }}
)

select
    lines.order_item_id,
    lines.order_id,
    lines.product_id,
    products.product_name,
    products.category,
    lines.quantity,
    lines.unit_price,
    cast(coalesce(lines.discount_amount, 0) as decimal(12, 2)) as discount_amount,
    cast(lines.quantity * lines.unit_price as decimal(18, 2)) as gross_amount,
    cast(lines.quantity * lines.unit_price - coalesce(lines.discount_amount, 0)
        as decimal(18, 2)) as net_amount,
    lines._load_id
from lines
left join products
    on lines.product_id = products.product_id
