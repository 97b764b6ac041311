-- Product performance: per product, units, orders, customers and revenue from orders that were
-- not cancelled, its average selling price and its rank and share within its category.
with lines as (
    select * from {{ ref('fct_order_items') }}
    where not is_cancelled
),

products as (
    select * from {{ ref('dim_products') }}
),

sold as (
    select
        product_id,
        sum(quantity) as units_sold,
        count(distinct order_id) as orders_count,
        count(distinct customer_id) as customers_count,
        sum(gross_amount) as gross_revenue,
        sum(discount_amount) as discount_amount,
        sum(net_amount) as net_revenue
    from lines
    group by product_id
),

performance as (
    select
        products.product_id,
        products.product_name,
        products.category,
        products.is_active,
        cast(coalesce(sold.units_sold, 0) as bigint) as units_sold,
        cast(coalesce(sold.orders_count, 0) as bigint) as orders_count,
        cast(coalesce(sold.customers_count, 0) as bigint) as customers_count,
        cast(coalesce(sold.gross_revenue, 0) as decimal(18, 2)) as gross_revenue,
        cast(coalesce(sold.discount_amount, 0) as decimal(18, 2)) as discount_amount,
        cast(coalesce(sold.net_revenue, 0) as decimal(18, 2)) as net_revenue
    from products
    left join sold
        on products.product_id = sold.product_id
)

select
    *,
    cast(case when units_sold > 0 then net_revenue / units_sold end
        as decimal(18, 2)) as avg_selling_price,
    cast(rank() over (partition by category order by net_revenue desc) as bigint)
        as category_revenue_rank,
    cast(case when sum(net_revenue) over (partition by category) > 0
        then net_revenue / sum(net_revenue) over (partition by category) end
        as decimal(9, 4)) as category_revenue_share
from performance
