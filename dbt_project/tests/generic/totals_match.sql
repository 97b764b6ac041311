{#- Reconciliation: this model and `compare_model` are two cuts of the same rows, so their
    totals must agree. `totals` maps a name to [expression over this model, expression over
    `compare_model`], e.g. revenue: [sum(revenue), sum(total_amount)]; `compare_where`
    filters `compare_model` (this model is filtered by the test's `where` config, as any test).
    Fails with one row (both sides of every total) when a total differs by more than
    `tolerance`: a cent for amounts; counts are integers, so any difference fails. -#}
{% test totals_match(model, compare_model, totals, compare_where=none, tolerance=0.01) %}
with totals_here as (
    select
    {%- for name, sides in totals.items() %}
        {{ sides[0] }} as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ model }}
),

totals_there as (
    select
    {%- for name, sides in totals.items() %}
        {{ sides[1] }} as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ compare_model }}
    {%- if compare_where %}
    where {{ compare_where }}
    {%- endif %}
)

select
{%- for name in totals %}
    totals_here.{{ name }},
    totals_there.{{ name }} as compare_{{ name }}{{ ',' if not loop.last }}
{%- endfor %}
from totals_here
cross join totals_there
where
{%- for name in totals %}
    {{ 'or ' if not loop.first }}abs(coalesce(totals_here.{{ name }}, 0) - coalesce(totals_there.{{ name }}, 0)) > {{ tolerance }}
{%- endfor %}
{% endtest %}
