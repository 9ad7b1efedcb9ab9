"""Letters: the stage that turns a letter kind of the rules (rules/letters/) and one borrower's
facts and details into a letter ready to sign, as text or .docx.

- `templates`: the sandboxed Jinja2 environment and the check of a template (used by the loader);
- `render`: which letters fit (from the engine's answer), why one does not, and the letter's text;
- `word`: the .docx, built by python-docx from the rendered lines.

Pure functions of the model, the facts and the details: nothing is stored, cached or logged
(compiled templates are kept, keyed by the lawyers' text only). This package is kept free of
imports at package level so the loader can use `templates` without a cycle.
"""
