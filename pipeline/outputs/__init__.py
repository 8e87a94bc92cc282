"""What people take away from the database: evidence tables, theme trends and annual HTML reports.

Modules, one job each: ``common`` (opening the database, theme names, provenance, small formatting helpers),
``export`` (a theme's evidence table as CSV, Excel or Markdown), ``trends`` (theme prevalence by year, as a
table and a chart) and ``report`` (a self-contained HTML summary for one area and year). Searching lives in
``pipeline.search``.
"""
