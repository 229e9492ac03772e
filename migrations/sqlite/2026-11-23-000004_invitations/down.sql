DROP INDEX classes_by_establishment;
DROP INDEX users_by_establishment;
DROP TABLE invitations;
