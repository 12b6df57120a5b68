-- realtime: written by Flink (or the project's stand-in). analytics: written by dbt.
CREATE SCHEMA IF NOT EXISTS realtime;
CREATE SCHEMA IF NOT EXISTS analytics;
