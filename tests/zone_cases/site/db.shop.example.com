; shop.example.com: the child zone of the delegation in example.com.zone
$TTL 600
@           IN SOA  ns1 hostmaster 1 7200 900 1209600 60
            IN NS   ns1
ns1         IN A    192.0.2.60
www         IN A    192.0.2.61
