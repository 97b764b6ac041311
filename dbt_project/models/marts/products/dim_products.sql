-- One row per product with what it sold (cancelled orders excluded).
with products as (
    select * from {{ ref('stg_shop__products') }}
),

sold as (
    select
        product_id,
        sum(quantity) as units_sold,
        sum(net_amount) as net_revenue
    from {{ ref('fct_order_items') }}
    where not is_cancelled
    group by product_id
)

select
    products.product_id,
    products.sku,
    products.product_name,
    products.category,
    products.list_price,
    products.is_active,
    products.created_at,
    products.updated_at,
    cast(coalesce(sold.units_sold, 0) as bigint) as units_sold,
    cast(coalesce(sold.net_revenue, 0) as decimal(18, 2)) as net_revenue
from products
left join sold
    on products.product_id = sold.product_id
