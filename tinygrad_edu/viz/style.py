"""The look of viz's pictures: the colours of the roles, the marks, the fonts and the limits."""

from __future__ import annotations

DEFAULT_MAX_NODES = 500
SMALL_ARRAY = 12  # arrays with at most this many values are shown in full, larger ones summarised
RANKDIRS = ("LR", "TB", "RL", "BT")
NOTEBOOK_WIDTH = 860  # px: a Jupyter column; wider left-to-right pictures are shown top-down
EQUATION_WIDTH = 30  # characters per equation line in a box (longer calls wrap after a comma)

# role -> (fill colour, legend text)
ROLES = {
    "parameter": ("#fcd9a4", "parameter (requires grad: W, b)"),
    "input": ("#b9dcf5", "input / data (no grad: X, Y)"),
    "constant": ("#e6e6e6", "constant"),
    "intermediate": ("#d8efd0", "intermediate (Z, A)"),
    "output": ("#f7b0b0", "loss / output (the root)"),
}
OP_COLOUR = "#ffffff"
EQUATION_COLOUR = "#8a3b00"
MARK_COLOUR = "#d62728"  # Marks: the step's tensor, op and edges (the backprop view)
MARK_OP_FILL = "#ffe082"
GRAD_COLOUR = "#1b5e20"  # Marks.rows: gradients already computed
FONT = "Helvetica"
