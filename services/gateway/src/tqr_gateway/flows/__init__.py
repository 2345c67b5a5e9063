"""What the pages (``tqr_gateway.pages``) and the JSON API (``tqr_gateway.api``) both do: the staff
console's own rules and search, the form and workbook downloads, the wizard's draft, photo checks.

Neither side imports the other (an import-linter contract in pyproject.toml holds it); what both
need lives here, beside them.
"""
