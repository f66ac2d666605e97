"""Renderers of the monthly management report: chat text, Pareto chart PNG and Excel workbook."""
