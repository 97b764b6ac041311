-- Cohort retention: customers grouped by the month of their first order that was not
-- cancelled; for each later month, how many of them ordered again and what share that is.
with orders as (
    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as order_month
    from {{ ref('fct_orders') }}
    where not is_cancelled
),

firsts as (
    select customer_id, min(order_month) as cohort_month
    from orders
    group by customer_id
),

sizes as (
    select cohort_month, count(*) as cohort_size
    from firsts
    group by cohort_month
),

activity as (
    select
        firsts.cohort_month,
        {{ dbt.datediff('firsts.cohort_month', 'orders.order_month', 'month') }} as months_since_first_order,
        count(distinct orders.customer_id) as active_customers
    from orders
    inner join firsts
        on orders.customer_id = firsts.customer_id
    group by 1, 2
)

select
    activity.cohort_month,
    cast(activity.months_since_first_order as integer) as months_since_first_order,
    cast(sizes.cohort_size as bigint) as cohort_size,
    cast(activity.active_customers as bigint) as active_customers,
    cast(1.0 * activity.active_customers / sizes.cohort_size as decimal(9, 4)) as retention_rate
from activity
inner join sizes
    on activity.cohort_month = sizes.cohort_month
