"""wardgate's finders: the Finding model, the AST checks, the tool adapters and the LLM reviewer."""
