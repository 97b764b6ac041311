-- One row per payment attempt, with its order's date, customer and currency. Incremental
-- like fct_orders: the payments of the orders in scope are re-derived; clustered by order date.
{{ config(
    unique_key='payment_id',
    post_hook=[
        "{{ delete_vanished_rows('payment_id', ref('stg_shop__payments')) }}",
        "{{ delete_vanished_rows('order_id', ref('stg_shop__orders')) }}",
    ],
) }}

{{ with_scoped_orders({'payments': ref('stg_shop__payments')}) }}

select
    payments.payment_id,
    payments.order_id,
    orders.customer_id,
    cast(orders.order_ts as date) as order_date,
    orders.currency_code,
    payments.payment_method,
    payments.payment_status,
    payments.amount,
    payments.paid_at,
    cast(payments.paid_at as date) as paid_date,
    cast(greatest(payments._load_id, orders._load_id) as bigint) as _load_id
from payments
inner join orders
    on payments.order_id = orders.order_id
