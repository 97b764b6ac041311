{#-
  The scope of an incremental run of the order facts (fct_orders, fct_order_items, fct_payments).

  A run re-derives whole orders, from the current state in staging, for:
  - the orders placed inside the partition window, when Dagster passes one (`window_start`,
    `window_end` from the partition's time window): a backfill or repair of those days;
  - the orders with any change (order, line or payment) loaded after the model's newest
    `_load_id`: how CDC updates to old orders (a status change, a refund) reach the facts
    without a window. Load ids increase and a load never overlaps a build (the `warehouse`
    pool runs the loader and dbt one at a time), so a batch is either wholly before the mark
    or wholly after it.
  Rows are replaced by key (delete+insert), so running twice, or with overlapping windows,
  writes each row once. Rows whose key left staging (a source delete) are removed by
  `delete_vanished_rows` in a post-hook. Without the table (first run, --full-refresh), the
  model is built in full whatever the window, so a partial fact never feeds the marts.
-#}

{% macro partition_window() -%}
    {%- set start, end = var('window_start', none), var('window_end', none) -%}
    {%- if start and end -%}
        {#- parsed, not pasted: a malformed var fails here instead of reaching the SQL -#}
        {%- set start_date = modules.datetime.date.fromisoformat(start | string) -%}
        {%- set end_date = modules.datetime.date.fromisoformat(end | string) -%}
        {%- do return([start_date.isoformat(), end_date.isoformat()]) -%}
    {%- endif -%}
    {%- do return(none) -%}
{%- endmacro %}

{% macro in_partition_window(date_expression) -%}
    {%- set window = partition_window() -%}
    {%- if window -%}
        ({{ date_expression }} >= cast('{{ window[0] }}' as date)
            and {{ date_expression }} < cast('{{ window[1] }}' as date))
    {%- else -%}
        (1 = 0)
    {%- endif -%}
{%- endmacro %}

{% macro load_high_water_mark() -%}
    (select coalesce(max(_load_id), 0) from {{ this }})
{%- endmacro %}

{% macro orders_in_scope() -%}
    select order_id from {{ ref('stg_shop__orders') }}
    where {{ in_partition_window('cast(order_ts as date)') }}
        or _load_id > {{ load_high_water_mark() }}
    union
    select order_id from {{ ref('stg_shop__order_items') }}
    where _load_id > {{ load_high_water_mark() }}
    union
    select order_id from {{ ref('stg_shop__payments') }}
    where _load_id > {{ load_high_water_mark() }}
{%- endmacro %}

{#- The opening CTEs of an order fact: `orders`, the staged orders the run re-derives (all of
    them on a full build, those in scope otherwise), then one CTE per `name: relation` in
    `order_rows` holding that relation's rows of those orders. The fact continues with
    `, <more CTEs>` or its final `select`. -#}
{% macro with_scoped_orders(order_rows) -%}
    {#- the scope reads all three staging models, but only in an incremental run, which dbt
        does not see when it parses: name them here so they are the fact's parents -#}
    {%- do ref('stg_shop__order_items') -%}
    {%- do ref('stg_shop__payments') -%}
with orders as (
    select * from {{ ref('stg_shop__orders') }}
    {%- if is_incremental() %}
    where order_id in ({{ orders_in_scope() }})
    {%- endif %}
){% for name, relation in order_rows.items() %},

{{ name }} as (
    select * from {{ relation }}
    where order_id in (select order_id from orders)
){% endfor %}
{%- endmacro %}

{% macro delete_vanished_rows(key, source_relation) -%}
    delete from {{ this }}
    where {{ key }} not in (select {{ key }} from {{ source_relation }})
{%- endmacro %}
