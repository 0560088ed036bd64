"""Worked solutions to the "Your turn" exercises of lab 02 (one module per notebook)."""
