-- Every function and aggregate of the extension has a description (COMMENT
-- ON, shown by \df+ and obj_description), and none is SECURITY DEFINER.
-- The counts are the ones docs/reliability.md quotes.
CREATE TEMP VIEW ext_procs AS
    SELECT p.oid, p.prokind, p.prosecdef
    FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
    WHERE d.classid = 'pg_proc'::regclass
      AND d.refclassid = 'pg_extension'::regclass
      AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vgm')
      AND d.deptype = 'e';

-- functions and aggregates without a description: none
SELECT oid::regprocedure AS without_description
FROM ext_procs WHERE obj_description(oid, 'pg_proc') IS NULL
ORDER BY 1::text;

SELECT count(*) AS procs,
       count(*) FILTER (WHERE prokind = 'f') AS functions,
       count(*) FILTER (WHERE prokind = 'a') AS aggregates,
       count(*) FILTER (WHERE prosecdef) AS security_definer
FROM ext_procs;

-- types and operators have descriptions too where users meet them
SELECT t.typname AS type_without_description
FROM pg_depend d JOIN pg_type t ON t.oid = d.objid
WHERE d.classid = 'pg_type'::regclass AND d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vgm')
  AND d.deptype = 'e' AND t.typtype = 'b'
  AND obj_description(t.oid, 'pg_type') IS NULL
ORDER BY 1;
