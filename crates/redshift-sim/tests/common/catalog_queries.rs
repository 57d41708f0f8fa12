//! The catalog queries a catalog tool runs at introspection time (tables of a schema with their
//! comments; columns with types and defaults), shared by the tests and the catalog benchmark.

pub const TABLES: &str = "select n.nspname, c.relname, c.relkind, d.description
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  left join pg_description d on d.objoid = c.oid and d.objsubid = 0
 where n.nspname = $1 order by 1, 2";

pub const COLUMNS: &str = "select n.nspname, c.relname, a.attname, a.attnum, t.typname,
       format_type(a.atttypid, a.atttypmod), coalesce(ad.adsrc, '')
  from pg_class c join pg_attribute a on a.attrelid = c.oid
  join pg_type t on t.oid = a.atttypid join pg_namespace n on n.oid = c.relnamespace
  left join pg_attrdef ad on ad.adrelid = c.oid and ad.adnum = a.attnum
 where n.nspname = $1 and a.attnum > 0 order by 1, 2, 4";
