select round(revenue::numeric(1000, 20) / nullif(spend, 0), 6)
