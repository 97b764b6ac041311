-- In its first month every customer of a cohort is active (that is what puts them in it).
select cohort_month, cohort_size, active_customers
from {{ ref('mart_cohort_retention') }}
where months_since_first_order = 0
    and (active_customers <> cohort_size or retention_rate <> 1)
