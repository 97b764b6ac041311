-- Revenue per day and currency from orders that were not cancelled (the dashboard's source).
select
    order_date,
    currency_code,
    count(*) as orders_count,
    count(distinct customer_id) as customers_count,
    cast(sum(units_count) as bigint) as units_sold,
    cast(sum(total_amount) as decimal(18, 2)) as revenue,
    cast(sum(total_amount) / count(*) as decimal(18, 2)) as avg_order_value,
    cast(sum(paid_amount) as decimal(18, 2)) as paid_amount
from {{ ref('fct_orders') }}
where not is_cancelled
group by order_date, currency_code
