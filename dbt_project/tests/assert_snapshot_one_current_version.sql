-- SCD2: a customer has at most one open version, and versions never end before they start.
select customer_id, count(*) as open_versions
from {{ ref('snap_customers') }}
where dbt_valid_to is null
group by customer_id
having count(*) > 1
union all
select customer_id, -1
from {{ ref('snap_customers') }}
where dbt_valid_to is not null and dbt_valid_to < dbt_valid_from
