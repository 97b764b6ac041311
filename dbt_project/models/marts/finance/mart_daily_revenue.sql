-- Revenue per day and currency from orders that were not cancelled (the dashboard's source).
-- On Snowflake a dynamic table: Snowflake keeps it within 15 minutes of fct_orders between dbt
-- runs, so the revenue dashboard follows CDC without a scheduled rebuild. A table elsewhere.
-- dbt-snowflake does not check contracts on dynamic tables: the pre-hook does (governance.sql).
{{ config(
    materialized=dynamic_table_or('table'),
    target_lag='15 minutes',
    snowflake_warehouse=env_var('SNOWFLAKE_WAREHOUSE', 'TRANSFORMING'),
    refresh_mode='auto',
    pre_hook="{{ assert_contract() }}",
) }}

select
    order_date,
    currency_code,
    cast(count(*) as bigint) as orders_count,
    cast(count(distinct customer_id) as bigint) as customers_count,
    cast(sum(units_count) as bigint) as units_sold,
    cast(sum(total_amount) as decimal(18, 2)) as revenue,
    cast(sum(total_amount) / count(*) as decimal(18, 2)) as avg_order_value,
    cast(sum(paid_amount) as decimal(18, 2)) as paid_amount
from {{ ref('fct_orders') }}
where not is_cancelled
group by order_date, currency_code
