DROP TABLE notifications;
DROP TABLE fiche_events;
DROP TABLE fiche_attachments;
DROP TABLE fiche_items;
DROP TABLE fiches;
