"""What the corpus says: event mentions (who, where, when) from predictions or annotations, Hindi
dates normalised, names merged through a reviewable alias file, events merged across outlets."""
