"""What a version means and what each environment runs and pins."""
