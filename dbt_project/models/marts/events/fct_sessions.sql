-- One row per visit: when and how long, who, from where, and how far down the funnel it got.
-- Stages are cumulative (a checkout counts only after a cart), so the funnel never widens.
with events as (
    select * from {{ ref('stg_events__events') }}
),

per_session as (
    select
        session_id,
        max(customer_id) as customer_id,
        min(device) as device,
        min(referrer) as referrer,
        min(event_ts) as started_at,
        max(event_ts) as ended_at,
        count(*) as events_count,
        sum(case when event_type = 'page_view' then 1 else 0 end) as page_views,
        sum(case when event_type = 'product_view' then 1 else 0 end) as product_views,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as add_to_carts,
        sum(case when event_type = 'checkout' then 1 else 0 end) as checkouts,
        sum(case when event_type = 'purchase' then 1 else 0 end) as purchases,
        sum(case when event_type = 'add_to_cart' then quantity * price else 0 end) as cart_value,
        max(case when event_type = 'purchase' then order_id end) as order_id,
        max(case when is_late then 1 else 0 end) as has_late_events
    from events
    group by session_id
)

select
    session_id,
    customer_id,
    customer_id is null as is_anonymous,
    device,
    referrer,
    started_at,
    ended_at,
    cast(started_at as date) as session_date,
    {{ dbt.datediff('started_at', 'ended_at', 'second') }} as duration_seconds,
    events_count,
    page_views,
    product_views,
    add_to_carts,
    checkouts,
    purchases,
    cast(cart_value as decimal(18, 2)) as cart_value,
    order_id,
    product_views > 0 as reached_product_view,
    product_views > 0 and add_to_carts > 0 as reached_add_to_cart,
    product_views > 0 and add_to_carts > 0 and checkouts > 0 as reached_checkout,
    product_views > 0 and add_to_carts > 0 and checkouts > 0 and purchases > 0 as reached_purchase,
    has_late_events = 1 as has_late_events
from per_session
