"""结果 (results): computing a round (inputs, composite, ranks, grades), accountability, the review chain, publication and the published-round reader, 红黄牌."""
