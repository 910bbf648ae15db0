-- 010_trends.sql: what starling-worker's trend computation stores (lib/trend.h). Not built yet.
INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('010_trends', UNIX_TIMESTAMP());
