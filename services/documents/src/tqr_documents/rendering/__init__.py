"""Renderers of the application form (PDF, Word) and of the staff export (Excel).

Each renderer is a pure function from domain data to file bytes; caching and delivery belong to the
service layer.
"""

from tqr_documents.rendering.docx import render_docx
from tqr_documents.rendering.pdf import render_pdf
from tqr_documents.rendering.xlsx import render_point_export

__all__ = ["render_docx", "render_pdf", "render_point_export"]
