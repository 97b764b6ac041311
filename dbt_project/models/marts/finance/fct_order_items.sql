-- One row per order line, with its order's date, customer, status and currency, and the line
-- amounts (net = quantity * unit_price - discount). Incremental like fct_orders: the lines of
-- the orders in scope are re-derived; clustered by order date.
{{ config(
    unique_key='order_item_id',
    post_hook=[
        "{{ delete_vanished_rows('order_item_id', ref('stg_shop__order_items')) }}",
        "{{ delete_vanished_rows('order_id', ref('stg_shop__orders')) }}",
    ],
) }}

{{ with_scoped_orders({'lines': ref('int_order_lines_enriched')}) }}

select
    lines.order_item_id,
    lines.order_id,
    orders.customer_id,
    lines.product_id,
    cast(orders.order_ts as date) as order_date,
    orders.order_status,
    orders.order_status = 'cancelled' as is_cancelled,
    orders.currency_code,
    lines.quantity,
    lines.unit_price,
    lines.gross_amount,
    cast(lines.discount_amount as decimal(18, 2)) as discount_amount,
    lines.net_amount,
    cast(greatest(lines._load_id, orders._load_id) as bigint) as _load_id
from lines
inner join orders
    on lines.order_id = orders.order_id
