"""The staff pages of the schedule: the day view, appointments, patients and the
clinic's setup. Each view runs in the request's tenant context (see
tenancy.middleware), looks objects up through the scoped managers, so another
clinic's id is a 404, and leaves the rules to the models and services."""
