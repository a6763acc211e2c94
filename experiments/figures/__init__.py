"""The report's figures, one function each, drawn from a run's tables; ``FIGURES`` names them in the report's order."""

from experiments.figures.base import STATUS_COLORS, plt, save
from experiments.figures.curves import best_so_far_figure, history_figure, learning_curves_figure, stops_figure
from experiments.figures.parameters import hyperparameters_figure, marginals_figure, parallel_coordinates_figure

FIGURES = {
    "best_so_far": best_so_far_figure,
    "learning_curves": learning_curves_figure,
    "stops": stops_figure,
    "parallel_coordinates": parallel_coordinates_figure,
    "hyperparameters": hyperparameters_figure,
    "marginals": marginals_figure,
    "history": history_figure,
}

__all__ = ["FIGURES", "STATUS_COLORS", "best_so_far_figure", "history_figure", "hyperparameters_figure",
           "learning_curves_figure", "marginals_figure", "parallel_coordinates_figure", "plt", "save", "stops_figure"]
