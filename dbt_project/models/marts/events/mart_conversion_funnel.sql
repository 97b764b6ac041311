-- The conversion funnel per day and device: visits, how many reached each stage, the rates,
-- and the shop orders the purchases created (joined to the orders table by order id).
with sessions as (
    select * from {{ ref('fct_sessions') }}
),

orders as (
    select order_id, order_status, total_amount from {{ ref('stg_shop__orders') }}
),

funnel as (
    select
        session_date,
        device,
        count(*) as sessions,
        sum(case when reached_product_view then 1 else 0 end) as product_view_sessions,
        sum(case when reached_add_to_cart then 1 else 0 end) as add_to_cart_sessions,
        sum(case when reached_checkout then 1 else 0 end) as checkout_sessions,
        sum(case when reached_purchase then 1 else 0 end) as purchase_sessions
    from sessions
    group by session_date, device
),

purchased_orders as (
    select
        sessions.session_date,
        sessions.device,
        count(distinct orders.order_id) as orders_matched,
        sum(case when orders.order_status = 'cancelled' then 0 else orders.total_amount end)
            as matched_revenue
    from sessions
    inner join orders
        on sessions.order_id = orders.order_id
    where sessions.reached_purchase
    group by sessions.session_date, sessions.device
)

select
    funnel.session_date as event_date,
    funnel.device,
    funnel.sessions,
    funnel.product_view_sessions,
    funnel.add_to_cart_sessions,
    funnel.checkout_sessions,
    funnel.purchase_sessions,
    cast(funnel.product_view_sessions as double) / funnel.sessions as product_view_rate,
    cast(funnel.add_to_cart_sessions as double) / funnel.sessions as add_to_cart_rate,
    cast(funnel.checkout_sessions as double) / funnel.sessions as checkout_rate,
    cast(funnel.purchase_sessions as double) / funnel.sessions as conversion_rate,
    cast(coalesce(purchased_orders.orders_matched, 0) as bigint) as orders_matched,
    cast(coalesce(purchased_orders.matched_revenue, 0) as decimal(18, 2)) as matched_revenue,
    (
        funnel.sessions >= funnel.product_view_sessions
        and funnel.product_view_sessions >= funnel.add_to_cart_sessions
        and funnel.add_to_cart_sessions >= funnel.checkout_sessions
        and funnel.checkout_sessions >= funnel.purchase_sessions
        and funnel.purchase_sessions >= coalesce(purchased_orders.orders_matched, 0)
    ) as is_funnel_consistent
from funnel
left join purchased_orders
    on funnel.session_date = purchased_orders.session_date
    and funnel.device = purchased_orders.device
