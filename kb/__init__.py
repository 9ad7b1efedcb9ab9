"""overdue-advisor's knowledge base: rules model, loader, compiler, engine and answers."""

__version__ = "1.0.0"
