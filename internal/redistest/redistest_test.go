package redistest

import "testing"

func TestParseNodes(t *testing.T) {
	given := "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected\n" +
		"67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922\n" +
		"e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460 [5461->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]\n" +
		"6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30005@31005 master,fail - 1426238316232 0 5 disconnected 10923 10924-16383\n"
	expect := []Node{
		{ID: "07c37dfeb235213a872192d90877d0cd55635b91", Addr: "127.0.0.1:30004", MasterID: "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca"},
		{ID: "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1", Addr: "127.0.0.1:30002", Master: true, Slots: 5462},
		{ID: "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca", Addr: "127.0.0.1:30001", Master: true, Slots: 5461},
		{ID: "6ec23923021cf3ffec47632106199cb7f496ce01", Addr: "127.0.0.1:30005", Master: true, Failed: true, Slots: 5461},
	}
	got := parseNodes(given)
	if len(got) != len(expect) {
		t.Fatalf("%d nodes, want %d: %+v", len(got), len(expect), got)
	}
	for i := range expect {
		if got[i] != expect[i] {
			t.Errorf("node %d = %+v, want %+v", i, got[i], expect[i])
		}
	}
}
