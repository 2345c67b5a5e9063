"""The gateway's web shell: layout, components, messages, language switch and help pages.

Entry points for the app: ``tqr_gateway.web.routes.router``, ``tqr_gateway.web.shell.install_web_shell``,
``tqr_gateway.web.templating.render`` / ``create_environment``. Kept free of imports so that any
submodule can be imported on its own.
"""
