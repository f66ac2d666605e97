"""Who is told what: helpers shared by intents and card actions (below both in the layers)."""
