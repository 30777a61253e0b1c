-- demo/models.sql - included by the steps after the fits: puts the models
-- and the table's row count (n_rows) into psql variables.
--
-- A model passed as a literal (:'model') is a constant of the query, decoded
-- once per call site; a model read per row from a joined table is detoasted
-- on every row, which can cost more than the transform itself.
SELECT m AS model, (SELECT m FROM demo.models WHERE name = 'sample') AS model_sample,
       (SELECT count(*) FROM demo.transactions) AS n_rows
FROM demo.models WHERE name = 'full' \gset
