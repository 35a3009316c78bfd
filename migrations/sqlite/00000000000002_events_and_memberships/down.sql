DROP TABLE memberships;
DROP TABLE events;
