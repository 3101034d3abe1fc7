-- Temporary macros available to every stage (run on each connection when the pipeline opens).
-- They call the Go function nfkc(), so they are not stored in the database file.

CREATE OR REPLACE TEMP MACRO norm_text(t) AS
    trim(regexp_replace(
        regexp_replace(
            regexp_replace(
                regexp_replace(
                    regexp_replace(lower(nfkc(t)),
                        '\\(?:,|;|:|!|qquad|quad|\s)', ' ', 'g'),     -- LaTeX spacing commands
                    '\\(?:left|right)\b', '', 'g'),                  -- \left( \right)
                '\s*([{}^_])\s*', '\1', 'g'),                         -- spaces around braces, ^ and _
            '\$+', ' ', 'g'),                                         -- math delimiters
        '\s+', ' ', 'g'));                                            -- whitespace runs

