"""The dev loop on a shared dev cluster (`invoke up --namespace`): no tasks of its own; devloop's up, down and
doctor use these modules."""
