"""The regulator's back-office: review queue, licence actions, audit browser, administration (/staff/)."""
