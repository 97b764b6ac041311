-- An order's total is the sum of its lines (quantity * unit_price - discount), to the cent.
-- Orders whose lines have not arrived yet (CDC lag) have no lines to compare and are skipped.
select
    order_id,
    total_amount,
    lines_total
from {{ ref('fct_orders') }}
where items_count > 0
    and abs(total_amount - lines_total) > 0.01
