-- Customer lifetime value: per customer, what they bought, paid and had refunded over their
-- whole history, how long they have been ordering, and a value segment. The source of the
-- customer-value dashboard and the CLV / churn ML dataset.
with customers as (
    select * from {{ ref('dim_customers') }}
),

orders as (
    select
        customer_id,
        count(*) as orders_count,
        sum(total_amount) as revenue,
        sum(refunded_amount) as refunded_amount,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from {{ ref('fct_orders') }}
    where not is_cancelled
    group by customer_id
),

clv as (
    select
        customers.customer_id,
        customers.country_code,
        cast({{ dbt.date_trunc('month', 'orders.first_order_date') }} as date) as cohort_month,
        orders.first_order_date,
        orders.last_order_date,
        cast(coalesce(orders.orders_count, 0) as bigint) as orders_count,
        cast(coalesce(orders.revenue, 0) as decimal(18, 2)) as lifetime_revenue,
        cast(coalesce(orders.refunded_amount, 0) as decimal(18, 2)) as refunded_amount,
        cast(coalesce(orders.revenue, 0) - coalesce(orders.refunded_amount, 0)
            as decimal(18, 2)) as net_lifetime_value,
        cast(case when orders.orders_count > 0 then orders.revenue / orders.orders_count end
            as decimal(18, 2)) as avg_order_value,
        cast(coalesce({{ dbt.datediff('orders.first_order_date', 'orders.last_order_date', 'day') }}, 0)
            as integer) as active_days
    from customers
    left join orders
        on customers.customer_id = orders.customer_id
)

select
    *,
    cast(case
        when orders_count = 0 then 'none'
        when net_lifetime_value >= 1000 then 'high'
        when net_lifetime_value >= 250 then 'medium'
        else 'low'
    end as varchar) as value_segment
from clv
