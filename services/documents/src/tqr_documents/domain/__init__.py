"""Pure model of what the documents service prints: the application form and its form code."""
