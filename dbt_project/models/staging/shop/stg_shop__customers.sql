-- Customers as the warehouse names and types them; PII never reaches the curated zone.
select
    cast(customer_id as bigint) as customer_id,
    cast(email_hmac as varchar) as email_hmac,
    cast(city as varchar) as city,
    cast(country as varchar) as country_code,
    cast(marketing_opt_in as boolean) as is_marketing_opt_in,
    cast(created_at as timestamp) as created_at,
    cast(updated_at as timestamp) as updated_at,
    cast(_commit_ts as timestamp) as _commit_ts,
    cast(_load_id as bigint) as _load_id,
    cast(_loaded_at as timestamp) as _loaded_at
from {{ source('curated', 'customers') }}
