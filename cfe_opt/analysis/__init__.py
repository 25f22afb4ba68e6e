"""Analysis layer: why no deal, what each limit costs, how the answer moves, which packages.

Built on the model and solve layers; the report/plots and CLI layers use it, never the reverse.
"""
